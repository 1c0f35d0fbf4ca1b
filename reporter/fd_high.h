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

/* fd duplicated (close-on-exec) to `base` or above and closed; fd itself
 * when it cannot be moved. */
int ts_fd_move_high(int fd, int base);

#endif /* TS_FD_HIGH_H */
