from gateway.app import build

build().main()
