# daemon/: the cashew and cashew-debug programs.
