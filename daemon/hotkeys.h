/* daemon/hotkeys.h -- being written this session. */
#ifndef CASHEW_DAEMON_HOTKEYS_H
#define CASHEW_DAEMON_HOTKEYS_H
#endif
