/* yaml.h — a small YAML tree on top of libyaml that keeps source positions, plus
 * typed readers whose errors read "path:line:column: message" (internal header).
 *
 * What is accepted
 *   - Exactly one document per file. An empty file (or one with only comments) and
 *     a document with no content ("---" alone) are errors ("empty document"); a
 *     second document is an error at its start.
 *   - Mapping keys must be scalars; a duplicate key is an error that names the line
 *     of the first occurrence. Merge keys ("<<") get no special meaning: "<<" is an
 *     ordinary key (check_keys then reports it as unknown).
 *   - Anchors and aliases are supported by sharing: "*a" yields the very node that
 *     "&a" was attached to (its line/col are those of the anchored node). An alias
 *     may only refer to an anchor whose node is complete, so no cycles are possible;
 *     "&a [*a]" is an error ("undefined alias"). An alias is not allowed as a key.
 *   - Tags are ignored. Scalars that contain a NUL character are rejected.
 *   - Nesting deeper than NT_YAML_MAX_DEPTH is an error.
 *
 * Positions are 1-based; columns count characters (as libyaml does), the column of
 * a quoted scalar is that of its opening quote, a block mapping's position is that
 * of its first key and a block sequence's that of its first "-". An anchor or tag
 * written before a node counts as the node's first character.
 *
 * All nodes belong to the document and are freed by nt_yaml_free. */
#ifndef NT_IO_YAML_H
#define NT_IO_YAML_H

#include "noether.h"

#define NT_YAML_MAX_DEPTH 256

typedef enum nt_ykind { NT_Y_SCALAR, NT_Y_SEQ, NT_Y_MAP } nt_ykind;

enum { NT_Y_PLAIN = 0, NT_Y_SINGLE = 1, NT_Y_DOUBLE = 2, NT_Y_BLOCK = 3 };

typedef struct nt_ynode {
    nt_ykind kind;
    int line, col;           /* 1-based position of the node's first character */
    int style;               /* scalars: NT_Y_PLAIN, NT_Y_SINGLE, NT_Y_DOUBLE, NT_Y_BLOCK */
    char *str;               /* scalars: the value (UTF-8, NUL-terminated); else NULL */
    int n;                   /* seq: items; map: pairs; scalar: 0 */
    struct nt_ynode **items; /* seq items, or map values (in source order) */
    char **keys;             /* map keys */
    int *key_line, *key_col; /* map keys' positions */
} nt_ynode;

typedef struct nt_ydoc {
    nt_ynode *root;
    char *path;        /* the name used in messages */
    nt_ynode **pool;   /* every node, for nt_yaml_free (aliases share nodes) */
    int n_pool, cap_pool;
} nt_ydoc;

/* Loads one YAML document. On failure the document is left empty (nt_yaml_free is
 * still safe) and nt_error_msg says why:
 *   NT_ERR_IO      "cannot open 'p': <strerror>" / "cannot read 'p': <strerror>"
 *   NT_ERR_FORMAT  "p:L:C: <problem> (<context> at line L', column C')" for syntax
 *                  errors, "p:L:C: duplicate key 'x' (first at line L')",
 *                  "p:L:C: mapping keys must be scalars", "p:L:C: empty document",
 *                  "p:L:C: more than one document ...", "p:L:C: undefined alias '*a'"
 *   NT_ERR_NOMEM   out of memory */
nt_status nt_yaml_load(nt_ydoc *d, const char *path);
/* Same from a NUL-terminated string; name stands for the path in messages. */
nt_status nt_yaml_load_string(nt_ydoc *d, const char *text, const char *name);
void nt_yaml_free(nt_ydoc *d);

/* The value of key in map; NULL if absent or map is NULL or not a mapping. */
const nt_ynode *nt_ynode_get(const nt_ynode *map, const char *key);
/* Index of key in map (pair order), -1 if absent or map is not a mapping. */
int nt_ynode_key_index(const nt_ynode *map, const char *key);
/* "a scalar", "a sequence", "a mapping" (for messages). */
const char *nt_ynode_kind_str(const nt_ynode *n);

/* Sets nt_error_msg to "path:line:col: message" (at's position; "path: message" when
 * at is NULL) and returns NT_ERR_FORMAT. */
nt_status nt_yaml_error(const nt_ydoc *d, const nt_ynode *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
nt_status nt_yaml_error_at(const nt_ydoc *d, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Every key of map must be in allowed (NULL-terminated). Otherwise NT_ERR_FORMAT at
 * the first offending key: "p:L:C: unknown key 'widht' in <what> (did you mean
 * 'width'?; allowed: type, width, depth, activation)". The suggestion is the allowed
 * key closest in optimal-string-alignment distance (a swap of two neighbours counts
 * 1), offered when that distance is <= 2 and smaller than the key's length. When map
 * is not a mapping: "p:L:C: <what> must be a mapping, got a sequence". */
nt_status nt_yaml_check_keys(const nt_ydoc *d, const nt_ynode *map, const char *const *allowed,
                             const char *what);

/* Typed scalar readers. Numbers and booleans must be plain (unquoted) scalars; all
 * errors are NT_ERR_FORMAT at the node's position and name `what`.
 *   double: [+-]digits[.digits][e[+-]digits] or [+-].digits[...] (1e-3, -2, .5, 0.01);
 *           rejects "1e-3x", "", nan, inf, hex, and values that overflow a double.
 *   int:    a decimal integer, or a number in the double syntax whose value is
 *           integral (1e4, 20000.0); must lie in [lo, hi].
 *   bool:   true/false/yes/no, any letter case.
 *   str:    any scalar (an empty plain value "key:" gives ""). */
nt_status nt_yaml_double(const nt_ydoc *d, const nt_ynode *n, const char *what, double *out);
nt_status nt_yaml_int(const nt_ydoc *d, const nt_ynode *n, const char *what, int64_t lo,
                      int64_t hi, int64_t *out);
nt_status nt_yaml_bool(const nt_ydoc *d, const nt_ynode *n, const char *what, int *out);
nt_status nt_yaml_str(const nt_ydoc *d, const nt_ynode *n, const char *what, const char **out);

#endif
