from web.app import build

build().main()
