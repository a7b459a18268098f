from logistics.app import build

build().main()
