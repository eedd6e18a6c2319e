# placeholder: the worker app dispatcher (written in a later step)
