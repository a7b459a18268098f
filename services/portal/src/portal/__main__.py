from portal.app import build

build().main()
