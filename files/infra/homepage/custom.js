// Homepage custom JS (empty).
