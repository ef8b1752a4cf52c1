from lok_action.cli import main

raise SystemExit(main())
