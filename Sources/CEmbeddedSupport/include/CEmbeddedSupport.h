#ifndef C_EMBEDDED_SUPPORT_H
#define C_EMBEDDED_SUPPORT_H

#include <spawn.h>

// glibc extensions for posix_spawn that need _GNU_SOURCE, which Swift's Glibc module does not define.
// Each returns 0 when the action was added, or an errno value (ENOSYS when this glibc lacks the function).

/// Close every descriptor >= fd in the child (posix_spawn_file_actions_addclosefrom_np, glibc 2.34+).
int loket_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int fd);

/// Change the child's working folder (posix_spawn_file_actions_addchdir_np, glibc 2.29+).
int loket_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

#endif
