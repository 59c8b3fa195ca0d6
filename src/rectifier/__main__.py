from rectifier.cli import main

raise SystemExit(main())
