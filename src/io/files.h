/* files.h — small file and text-output helpers shared by the run folders of the
 * PINN (src/pinn/run.c) and operator (src/operator/train.c) trainers. Internal. */
#ifndef NT_IO_FILES_H
#define NT_IO_FILES_H

#include <stddef.h>
#include <stdio.h>

/* mkdir -p: creates path and its missing parents; 0 if it is (now) a directory,
 * −1 otherwise (errno from the failing call). */
int nt_mkdir_p(const char *path);

/* Atomic text output: nt_tmp_open writes "<path>.tmp" (its name into tmp);
 * nt_tmp_commit closes it and renames it over path, or removes it when a write,
 * the close or the rename failed (−1). A reader never sees a half-written path. */
FILE *nt_tmp_open(const char *path, char *tmp, size_t cap);
int nt_tmp_commit(FILE *f, const char *tmp, const char *path);

/* JSON values: a number with 17 significant digits (null when not finite), and a
 * string with quotes, backslashes and control characters escaped. */
void nt_json_num(FILE *f, double v);
void nt_json_str(FILE *f, const char *s);

/* Seconds as "m:ss" or "h:mm:ss" ("--:--" when negative, NaN or absurdly large). */
void nt_fmt_hms(char *out, size_t cap, double s);

#endif
