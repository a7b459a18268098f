from booking.app import build

build().main()
