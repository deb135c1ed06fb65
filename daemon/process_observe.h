/* daemon/process_observe.h -- being written this session. */
#ifndef CASHEW_DAEMON_PROCESS_OBSERVE_H
#define CASHEW_DAEMON_PROCESS_OBSERVE_H
#endif
