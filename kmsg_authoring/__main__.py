from kmsg_authoring.cli import main

raise SystemExit(main())
