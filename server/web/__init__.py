"""The web surface: the sign-up page, the JSON API, health checks and HTTP error answers."""
