from billing.app import build

build().main()
