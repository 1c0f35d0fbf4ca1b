/*
 * fd_high.h - the reporter's descriptors, moved out of the program's way.
 *
 * Programs expect low descriptor numbers to be theirs (a daemon that
 * dup2()s onto 0-2, one that counts on the lowest free number); the
 * reporter's files and sockets are moved up to `base` and above.
 *
 * Threads: any.
 */
#ifndef TS_FD_HIGH_H
#define TS_FD_HIGH_H

#include <stdbool.h>
#include <sys/types.h>

/* fd duplicated (close-on-exec) to `base` or above and closed; fd itself
 * when it cannot be moved. */
int ts_fd_move_high(int fd, int base);

/* fd still names the file (device and inode) it was opened on: the
 * program may have closed it and reused the number. */
bool ts_fd_is(int fd, dev_t dev, ino_t ino);

#endif /* TS_FD_HIGH_H */
