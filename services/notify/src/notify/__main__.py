from notify.app import build

build().main()
