#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include "CEmbeddedSupport.h"

int loket_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int fd) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np(actions, fd);
#else
    (void)actions; (void)fd;
    return ENOSYS;
#endif
}

int loket_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
    return posix_spawn_file_actions_addchdir_np(actions, path);
#else
    (void)actions; (void)path;
    return ENOSYS;
#endif
}
