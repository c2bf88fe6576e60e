"""Desktop game: pygame-ce + pygame_gui screens, the world map and its geometry."""
