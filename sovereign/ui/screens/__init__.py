"""The game's screens: menu, new game, hand-over, map, charts, markets, end, settings, load."""
