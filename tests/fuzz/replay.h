/* The corpus walk of the fuzz targets' -DFUZZ_REPLAY builds, so that
 * `make test` replays the corpora with plain cc. libFuzzer builds provide
 * their own main() and never include this. Each argument is an input file
 * or a directory of them (dot files skipped); "-v" turns on the target's
 * per-input lines for the arguments after it. */
#ifndef FUZZ_REPLAY_H
#define FUZZ_REPLAY_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

/* Runs one input through the target: 0, or nonzero to stop the replay
 * (the input could not be read). */
typedef int replay_one_fn(const char *path);

/* Returns how many inputs ran, or -1 if one stopped the replay. */
static inline int replay_args(int argc, char **argv, int *verbose, replay_one_fn *one)
{
	int n = 0;

	for (int a = 1; a < argc; a++) {
		DIR *d;
		struct dirent *de;

		if (!strcmp(argv[a], "-v")) {
			*verbose = 1;
			continue;
		}
		d = opendir(argv[a]);
		if (!d) {
			if (one(argv[a]))
				return -1;
			n++;
			continue;
		}
		while ((de = readdir(d))) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[a], de->d_name);
			if (one(path)) {
				closedir(d);
				return -1;
			}
			n++;
		}
		closedir(d);
	}
	return n;
}

#endif
