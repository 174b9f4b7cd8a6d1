from s2s_embed.cli import main

raise SystemExit(main())
