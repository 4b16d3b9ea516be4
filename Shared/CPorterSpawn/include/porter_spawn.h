#ifndef PORTER_SPAWN_H
#define PORTER_SPAWN_H

#include <spawn.h>

/// posix_spawn file actions that glibc declares only under _GNU_SOURCE, which Swift's Glibc module
/// leaves undefined: close every descriptor from `low` up, and change directory, in the child.
int porter_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int low);
int porter_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

#endif
