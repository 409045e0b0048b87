/* The record writer's loop, compiled: `RecordWriter._generated` (mockserver/record_json.py)
 * for a run of generated records, the same bytes.
 *
 * Why it exists: a fresh page is its records, and in Python a record costs some 24,000
 * instructions (docs/performance.md, issue 27): issue 27 asks for a fresh 1000-record page
 * within 5x of the same page asked again. The Python loop stays the reference and the fallback
 * (a machine without a compiler, STARDUST_RECORD_WRITER=python); tests/test_record_json.py
 * holds both to `orjson.dumps(make_record(...))`, byte for byte.
 *
 * What it computes itself, exactly as Python does: the draws (SplitMix64's finaliser in
 * uint64, which wraps as Python's `& mask` does), each round's place and shuffle (`Layout`),
 * a task's key, scale and failed creation, a holder, `createdTime` within a quarter hour, and
 * the `instanceInfo` spreads, and a time in UTC. What it asks Python for, rarely: a round residue's members
 * (`writer._round`), a shape's codes (`histories.codes`), a kind of step's template pieces
 * (`writer._pieces`), and in another zone a quarter hour's date and hour (`times.quarter`)
 * or a whole time (`times.text`). It reads the step tables (`histories.acts`, `.kinds`) as Python builds them.
 * Anything it cannot write exactly (an amount below zero, a number beyond 64 bits) makes it
 * return None, and the caller writes the run in Python.
 *
 * It also builds the journal's entry of each request (`ring_entry`, at the end): the other
 * piece of Python on every request's path that the journal's cost target needed compiled.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#ifndef RECORDLOOP_SOURCE
#define RECORDLOOP_SOURCE "unknown"
#endif

#define PERIOD 32
#define QUARTER 900
#define SHAPES 256
#define LABELER 2
#define CREATION_FAILS_PER_MILLE 100
#define INSTANCE_SPREAD 0xBF58476D1CE4E5B9ULL
#define ATTRIBUTE_SPREAD 0x94D049BB133111EBULL
/* Kinds of step times two, plus one if failed: a few dozen in practice (25 kinds for the
 * largest workflow); beyond this, the templates are looked up in the Python dict each time. */
#define LOCAL_SLOTS 128
#define MAX_KEYS 8

/* The context tuple `RecordWriter._loop_context` builds, in this order. */
enum {
    C_SEED,
    C_DRAW_BASE,
    C_ID_BASE,
    C_START_EPOCH,
    C_GAP,
    C_ROUND_STARTS,
    C_RAMP,
    C_PER_PERIOD,
    C_LAYOUT_KEY,
    C_TASK_ID_BASE,
    C_ROUNDS,
    C_HISTORIES,
    C_CODE_TABLE,
    C_ACTS,
    C_KINDS,
    C_PIECES,
    C_CREWS,
    C_INSTANCE_KEYS,
    C_ATTRIBUTE_KEYS,
    C_TIMES,
    C_UTC,
    C_FIELDS
};

static PyObject *str_round, *str_pieces, *str_codes, *str_quarter, *str_text;

static inline uint64_t mix(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} Buffer;

static int reserve(Buffer *buf, Py_ssize_t more) {
    if (buf->len + more <= buf->cap) return 0;
    Py_ssize_t cap = buf->cap ? buf->cap : 1024;
    while (cap < buf->len + more) cap *= 2;
    char *data = PyMem_Realloc(buf->data, (size_t)cap);
    if (!data) {
        PyErr_NoMemory();
        return -1;
    }
    buf->data = data;
    buf->cap = cap;
    return 0;
}

static inline int put(Buffer *buf, const char *text, Py_ssize_t size) {
    if (reserve(buf, size) < 0) return -1;
    memcpy(buf->data + buf->len, text, (size_t)size);
    buf->len += size;
    return 0;
}

static inline int put_bytes(Buffer *buf, PyObject *bytes) {
    return put(buf, PyBytes_AS_STRING(bytes), PyBytes_GET_SIZE(bytes));
}

/* `%d` of a 64-bit integer. */
static inline int put_int(Buffer *buf, int64_t value) {
    char digits[24];
    int at = 24;
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[--at] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0) digits[--at] = '-';
    return put(buf, digits + at, 24 - at);
}

/* A Python int that must fit in 64 bits; -1 with an exception set when not (the caller checks
 * PyErr_Occurred, or returns None on OverflowError: see `unsupported`). */
static int64_t as_i64(PyObject *value) { return PyLong_AsLongLong(value); }

/* A Python int's low 64 bits, as Python's `& mask` takes them (seeds and keys are 64-bit). */
static uint64_t as_u64(PyObject *value) { return PyLong_AsUnsignedLongLongMask(value); }

/* `generator._split` / `record_json._spread`, written as `"key":amount` items after `*items`
 * earlier ones. Returns 1 when `total` is below 0 (never the case for a drawn step: the caller
 * falls back to Python), -1 on error, else 0. */
static int spread(Buffer *buf, uint64_t bits, int64_t total, PyObject *keys, int *items) {
    Py_ssize_t size = PyTuple_GET_SIZE(keys);
    if (total < 0 || size <= 0 || size > MAX_KEYS) return 1;
    int chosen[MAX_KEYS];
    int count = 0;
    for (Py_ssize_t index = 0; index < size; index++) {
        if (bits >> index & 1) chosen[count++] = (int)index;
    }
    int64_t parts[MAX_KEYS];
    int which[MAX_KEYS];
    int out = 0;
    uint64_t modulus = (uint64_t)total + 1;
    if (count < 2) {
        which[0] = count ? chosen[0] : (int)((bits >> 8) % (uint64_t)size);
        parts[0] = total;
        out = 1;
    } else if (count == 2) {
        int64_t cut = (int64_t)((bits >> 16) % modulus);
        if (cut) {
            which[out] = chosen[0];
            parts[out++] = cut;
        }
        if (total > cut) {
            which[out] = chosen[1];
            parts[out++] = total - cut;
        }
    } else {
        uint64_t rest = bits >> 16;
        int64_t cuts[MAX_KEYS];
        for (int index = 0; index < count - 1; index++) {
            int64_t cut = (int64_t)((rest >> (12 * index)) % modulus);
            /* Insertion: at most 4 cuts (5 instance keys). */
            int at = index;
            while (at > 0 && cuts[at - 1] > cut) {
                cuts[at] = cuts[at - 1];
                at--;
            }
            cuts[at] = cut;
        }
        cuts[count - 1] = total;
        int64_t low = 0;
        for (int index = 0; index < count; index++) {
            if (cuts[index] > low) {
                which[out] = chosen[index];
                parts[out++] = cuts[index] - low;
                low = cuts[index];
            }
        }
    }
    for (int index = 0; index < out; index++) {
        if (*items && put(buf, ",", 1) < 0) return -1;
        if (put_bytes(buf, PyTuple_GET_ITEM(keys, which[index])) < 0) return -1;
        if (put_int(buf, parts[index]) < 0) return -1;
        (*items)++;
    }
    return 0;
}

/* `YYYY-MM-DD HH:MM:SS` of an instant in UTC, as `datetime.fromtimestamp(t, UTC).strftime`
 * writes it, for years 1900 to 9999 (`utc_written`'s range): the civil date from the days
 * since 1970 (H. Hinnant's `civil_from_days`). Most mocks run in UTC, and a request of a few
 * thousand records has a record every quarter hour or more, so each record would otherwise
 * ask Python for a quarter never seen. */
#define UTC_LOW (-2208988800LL)   /* 1900-01-01 00:00:00 */
#define UTC_HIGH (253402300800LL) /* 10000-01-01 00:00:00 */

static void format_utc(int64_t t, char out[19]) {
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t second = t - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    int64_t hour = second / 3600, minute = second / 60 % 60;
    second %= 60;
    char *at = out;
    *at++ = (char)('0' + year / 1000);
    *at++ = (char)('0' + year / 100 % 10);
    *at++ = (char)('0' + year / 10 % 10);
    *at++ = (char)('0' + year % 10);
    *at++ = '-';
    *at++ = (char)('0' + month / 10);
    *at++ = (char)('0' + month % 10);
    *at++ = '-';
    *at++ = (char)('0' + day / 10);
    *at++ = (char)('0' + day % 10);
    *at++ = ' ';
    *at++ = (char)('0' + hour / 10);
    *at++ = (char)('0' + hour % 10);
    *at++ = ':';
    *at++ = (char)('0' + minute / 10);
    *at++ = (char)('0' + minute % 10);
    *at++ = ':';
    *at++ = (char)('0' + second / 10);
    *at = (char)('0' + second % 10);
}

typedef struct {
    /* The quarter hour [low, high) last met, its date and hour, and its first second's index
     * in the hour; `text` is set instead when the last time was written whole. */
    int64_t low, high, first_second;
    PyObject *day_hour;
} Quarter;

/* Writes `"YYYY-MM-DD HH:MM:SS"` of `created`: in UTC by itself, else by quarter hours. */
static int put_time(Buffer *buf, Quarter *quarter, PyObject *times, int utc, int64_t created) {
    if (utc && UTC_LOW <= created && created < UTC_HIGH) {
        char text[21];
        text[0] = '"';
        format_utc(created, text + 1);
        text[20] = '"';
        return put(buf, text, 21);
    }
    if (!(quarter->low <= created && created < quarter->high)) {
        int64_t q = created >= 0 ? created / QUARTER : -((-created + QUARTER - 1) / QUARTER);
        PyObject *number = PyLong_FromLongLong(q);
        if (!number) return -1;
        PyObject *found = PyObject_CallMethodOneArg(times, str_quarter, number);
        Py_DECREF(number);
        if (!found) return -1;
        Py_CLEAR(quarter->day_hour);
        if (found == Py_None) {
            Py_DECREF(found);
            quarter->low = quarter->high = 0;
            PyObject *epoch = PyLong_FromLongLong(created);
            if (!epoch) return -1;
            PyObject *text = PyObject_CallMethodOneArg(times, str_text, epoch);
            Py_DECREF(epoch);
            if (!text) return -1;
            if (!PyBytes_Check(text)) {
                Py_DECREF(text);
                PyErr_SetString(PyExc_TypeError, "QuarterTimes.text did not return bytes");
                return -1;
            }
            int failed = put(buf, "\"", 1) < 0 || put_bytes(buf, text) < 0 || put(buf, "\"", 1) < 0;
            Py_DECREF(text);
            return failed ? -1 : 0;
        }
        if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 2 ||
            !PyBytes_Check(PyTuple_GET_ITEM(found, 0))) {
            Py_DECREF(found);
            PyErr_SetString(PyExc_TypeError, "QuarterTimes.quarter did not return (bytes, int)");
            return -1;
        }
        quarter->day_hour = Py_NewRef(PyTuple_GET_ITEM(found, 0));
        quarter->first_second = as_i64(PyTuple_GET_ITEM(found, 1));
        Py_DECREF(found);
        if (quarter->first_second == -1 && PyErr_Occurred()) return -1;
        quarter->low = q * QUARTER;
        quarter->high = quarter->low + QUARTER;
    }
    int64_t second = quarter->first_second + created - quarter->low;
    char tail[6] = {
        (char)('0' + second / 600), (char)('0' + second / 60 % 10), ':',
        (char)('0' + second % 60 / 10), (char)('0' + second % 10), '"',
    };
    if (put(buf, "\"", 1) < 0 || put_bytes(buf, quarter->day_hour) < 0) return -1;
    return put(buf, tail, 6);
}

/* The round holding a position: (round, its first position, its size), as `Layout.round_at`. */
static void round_at(const int64_t *starts, int64_t ramp, int64_t position, int64_t *round,
                     int64_t *first, int64_t *size) {
    int64_t steady = starts[ramp], last = starts[ramp + PERIOD];
    int64_t periods = 0, within = position;
    if (position >= steady) {
        periods = (position - steady) / (last - steady);
        within = (position - steady) % (last - steady) + steady;
    }
    /* bisect_right(starts, within) - 1 */
    int64_t low = 0, high = ramp + PERIOD + 1;
    while (low < high) {
        int64_t middle = (low + high) / 2;
        if (within < starts[middle]) high = middle;
        else low = middle + 1;
    }
    int64_t index = low - 1;
    *first = starts[index] + periods * (last - steady);
    *round = index + periods * PERIOD;
    *size = starts[index + 1] - starts[index];
}

/* An Act's integer field (a NamedTuple: a tuple). */
#define ACT_FIELD(act, index) as_i64(PyTuple_GET_ITEM(act, index))

typedef struct {
    PyObject *ctx;
    PyObject *writer;
    PyObject *out;
    Buffer buf;
    Quarter quarter;
    /* The templates met in this run, by slot; slots below `top` may be set. */
    int64_t top;
    PyObject *local[LOCAL_SLOTS];
} Run;

static void run_clear(Run *run) {
    PyMem_Free(run->buf.data);
    Py_CLEAR(run->quarter.day_hour);
    for (int64_t index = 0; index < run->top; index++) Py_CLEAR(run->local[index]);
}

/* `table[key]`, or what `writer.method(number, second)` makes of it, kept in `table` (the
 * writer's own dict, which the Python loop shares). `second` NULL: the key. New reference. */
static PyObject *kept(PyObject *table, int64_t key_value, PyObject *writer, PyObject *method,
                      int64_t number_value, PyObject *second) {
    PyObject *key = PyLong_FromLongLong(key_value);
    if (!key) return NULL;
    PyObject *found = PyDict_GetItemWithError(table, key);
    if (found) {
        Py_INCREF(found);
    } else if (!PyErr_Occurred()) {
        PyObject *number = PyLong_FromLongLong(number_value);
        if (number) {
            found = PyObject_CallMethodObjArgs(writer, method, number, second ? second : key, NULL);
            Py_DECREF(number);
        }
        if (found && PyDict_SetItem(table, key, found) < 0) Py_CLEAR(found);
    }
    Py_DECREF(key);
    return found;
}

/* The template pieces of a kind of step: 10 bytes between the 9 holes. Borrowed from the
 * run's local cache. */
static PyObject *pieces_of(Run *run, int64_t slot, int64_t code, int failed) {
    if (slot >= 0 && slot < LOCAL_SLOTS && run->local[slot]) return run->local[slot];
    PyObject *found = kept(PyTuple_GET_ITEM(run->ctx, C_PIECES), slot, run->writer, str_pieces,
                           code, failed ? Py_True : Py_False);
    if (!found) return NULL;
    if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 10) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_TypeError, "RecordWriter._pieces did not return 10 pieces");
        return NULL;
    }
    for (int index = 0; index < 10; index++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(found, index))) {
            Py_DECREF(found);
            PyErr_SetString(PyExc_TypeError, "a template piece is not bytes");
            return NULL;
        }
    }
    if (slot >= 0 && slot < LOCAL_SLOTS) {
        run->local[slot] = found; /* owned by the cache */
        if (slot >= run->top) run->top = slot + 1;
        return found;
    }
    /* Beyond the local cache: the dict holds it, so borrowing is safe for this record. */
    Py_DECREF(found);
    return found;
}

/* A round residue's members, as `writer._round` finds them (kept in the writer's dict). New. */
static PyObject *members_of(Run *run, int64_t round_number, int64_t name) {
    PyObject *found =
        kept(PyTuple_GET_ITEM(run->ctx, C_ROUNDS), name, run->writer, str_round, round_number, NULL);
    if (found && !PyTuple_Check(found)) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_TypeError, "RecordWriter._round did not return a tuple");
        return NULL;
    }
    return found;
}

/* A shape's step codes (borrowed from the histories' table, drawn on first use). */
static PyObject *codes_of(Run *run, uint64_t shape) {
    PyObject *table = PyTuple_GET_ITEM(run->ctx, C_CODE_TABLE);
    PyObject *codes = PyList_GET_ITEM(table, (Py_ssize_t)shape);
    if (codes != Py_None) return codes;
    PyObject *number = PyLong_FromUnsignedLongLong(shape);
    if (!number) return NULL;
    PyObject *drawn = PyObject_CallMethodOneArg(PyTuple_GET_ITEM(run->ctx, C_HISTORIES),
                                                str_codes, number);
    Py_DECREF(number);
    if (!drawn) return NULL;
    Py_DECREF(drawn); /* the table holds it now */
    codes = PyList_GET_ITEM(table, (Py_ssize_t)shape);
    if (!PyTuple_Check(codes)) {
        PyErr_SetString(PyExc_TypeError, "Histories.codes left no tuple in its table");
        return NULL;
    }
    return codes;
}

/* 1: the run is one this loop cannot write exactly (the caller writes it in Python). */
static int write_run(Run *run, int64_t start, int64_t stop) {
    PyObject *ctx = run->ctx;
    uint64_t seed = as_u64(PyTuple_GET_ITEM(ctx, C_SEED));
    int64_t draw_base = as_i64(PyTuple_GET_ITEM(ctx, C_DRAW_BASE));
    int64_t id_base = as_i64(PyTuple_GET_ITEM(ctx, C_ID_BASE));
    int64_t start_epoch = as_i64(PyTuple_GET_ITEM(ctx, C_START_EPOCH));
    double gap = PyFloat_AsDouble(PyTuple_GET_ITEM(ctx, C_GAP));
    int64_t ramp = as_i64(PyTuple_GET_ITEM(ctx, C_RAMP));
    int64_t per_period = as_i64(PyTuple_GET_ITEM(ctx, C_PER_PERIOD));
    uint64_t layout_key = as_u64(PyTuple_GET_ITEM(ctx, C_LAYOUT_KEY));
    int64_t task_id_base = as_i64(PyTuple_GET_ITEM(ctx, C_TASK_ID_BASE));
    if (PyErr_Occurred()) return -1;
    PyObject *starts_bytes = PyTuple_GET_ITEM(ctx, C_ROUND_STARTS);
    PyObject *code_table = PyTuple_GET_ITEM(ctx, C_CODE_TABLE);
    PyObject *acts = PyTuple_GET_ITEM(ctx, C_ACTS);
    PyObject *kinds = PyTuple_GET_ITEM(ctx, C_KINDS);
    PyObject *crews = PyTuple_GET_ITEM(ctx, C_CREWS);
    PyObject *instance_keys = PyTuple_GET_ITEM(ctx, C_INSTANCE_KEYS);
    PyObject *attribute_keys = PyTuple_GET_ITEM(ctx, C_ATTRIBUTE_KEYS);
    PyObject *times = PyTuple_GET_ITEM(ctx, C_TIMES);
    int utc = PyObject_IsTrue(PyTuple_GET_ITEM(ctx, C_UTC));
    if (utc < 0) return -1;
    if (!PyBytes_Check(starts_bytes) || !PyList_Check(code_table) ||
        PyList_GET_SIZE(code_table) != SHAPES || !PyList_Check(acts) || !PyList_Check(kinds) ||
        !PyTuple_Check(crews) || !PyTuple_Check(instance_keys) ||
        !PyTuple_Check(attribute_keys) ||
        PyBytes_GET_SIZE(starts_bytes) != (Py_ssize_t)sizeof(int64_t) * (ramp + PERIOD + 1)) {
        PyErr_SetString(PyExc_TypeError, "the record loop's context is not what it expects");
        return -1;
    }
    /* An aligned copy (bytes' buffer need not be 8-aligned). */
    int64_t starts[48 + PERIOD + 2];
    if (ramp + PERIOD + 1 > (int64_t)(sizeof(starts) / sizeof(starts[0]))) return 1;
    memcpy(starts, PyBytes_AS_STRING(starts_bytes), sizeof(int64_t) * (size_t)(ramp + PERIOD + 1));
    if (starts[ramp + PERIOD] <= starts[ramp]) return 1;

    int64_t position = start;
    while (position < stop) {
        int64_t round_number, first, size;
        round_at(starts, ramp, position, &round_number, &first, &size);
        uint64_t shuffle = mix(layout_key ^ mix((uint64_t)round_number));
        uint64_t stride = 1 + (shuffle >> 32) % (uint64_t)size;
        while (gcd_u64(stride, (uint64_t)size) != 1) stride++;
        uint64_t shift = shuffle % (uint64_t)size;
        int64_t name, base;
        if (round_number < ramp) {
            name = round_number;
            base = 0;
        } else {
            name = ramp + (round_number - ramp) % PERIOD;
            base = (round_number - ramp) / PERIOD * per_period;
        }
        PyObject *members = members_of(run, round_number, name);
        if (!members) return -1;
        if (PyTuple_GET_SIZE(members) != size) {
            Py_DECREF(members);
            PyErr_SetString(PyExc_ValueError, "a round's members do not match its size");
            return -1;
        }
        int64_t end = stop < first + size ? stop : first + size;
        for (int64_t at = position; at < end; at++) {
            PyObject *member = PyTuple_GET_ITEM(
                members, (Py_ssize_t)(((uint64_t)(at - first) * stride + shift) % (uint64_t)size));
            int64_t ago = as_i64(PyTuple_GET_ITEM(member, 0));
            int64_t task = as_i64(PyTuple_GET_ITEM(member, 1)) + base;
            int64_t single = as_i64(PyTuple_GET_ITEM(member, 2));
            if (PyErr_Occurred()) goto fail;
            uint64_t key = mix(seed ^ mix((uint64_t)task + 1));
            int64_t scale = 1 + (int64_t)((key >> 40) % 3);
            int failed = single && (key >> 20) % 1000 < CREATION_FAILS_PER_MILLE;
            PyObject *codes = codes_of(run, key % SHAPES);
            if (!codes) goto fail;
            if (ago < 0 || ago >= PyTuple_GET_SIZE(codes)) {
                PyErr_SetString(PyExc_IndexError, "a step beyond its task's shape");
                goto fail;
            }
            int64_t code = as_i64(PyTuple_GET_ITEM(codes, ago));
            if (code < 0 || code >= PyList_GET_SIZE(acts) || code >= PyList_GET_SIZE(kinds)) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "an unknown step code");
                goto fail;
            }
            PyObject *act = PyList_GET_ITEM(acts, code);
            int64_t role = ACT_FIELD(act, 3), since = ACT_FIELD(act, 4);
            int64_t instances = ACT_FIELD(act, 5) * scale, attributes = ACT_FIELD(act, 6) * scale;
            int64_t instance_sum = ACT_FIELD(act, 7) * scale;
            int64_t attribute_sum = ACT_FIELD(act, 8) * scale;
            int64_t kind = as_i64(PyList_GET_ITEM(kinds, code));
            if (PyErr_Occurred()) goto fail;
            PyObject *pieces = pieces_of(run, kind * 2 + failed, code, failed);
            if (!pieces) goto fail;
            if (role < 0 || role >= PyTuple_GET_SIZE(crews)) {
                PyErr_SetString(PyExc_IndexError, "a role with no crew");
                goto fail;
            }
            PyObject *crew = PyTuple_GET_ITEM(crews, role);
            Py_ssize_t people = PyTuple_GET_SIZE(crew);
            if (people == 0) {
                PyErr_SetString(PyExc_IndexError, "a crew of nobody");
                goto fail;
            }
            PyObject *user = PyTuple_GET_ITEM(
                crew, role < LABELER ? 0 : (Py_ssize_t)(mix(key ^ (uint64_t)since) % (uint64_t)people));
            uint64_t drawn = mix(seed ^ mix((uint64_t)(at + draw_base)));
            /* Python's `start + int((at + (drawn >> 11) * 2**-53) * gap)`, the same doubles
             * (no contraction: -ffp-contract=off). */
            double moment = ((double)at + (double)(drawn >> 11) * 0x1p-53) * gap;
            int64_t created = start_epoch + (int64_t)moment;

            Buffer *buf = &run->buf;
            buf->len = 0;
            if (put_bytes(buf, PyTuple_GET_ITEM(pieces, 0)) < 0 || put_int(buf, id_base + at) < 0 ||
                put_bytes(buf, PyTuple_GET_ITEM(pieces, 1)) < 0 ||
                put_int(buf, task_id_base + task) < 0 ||
                put_bytes(buf, PyTuple_GET_ITEM(pieces, 2)) < 0 || put_bytes(buf, user) < 0 ||
                put_bytes(buf, PyTuple_GET_ITEM(pieces, 3)) < 0 ||
                put_time(buf, &run->quarter, times, utc, created) < 0 ||
                put_bytes(buf, PyTuple_GET_ITEM(pieces, 4)) < 0)
                goto fail;
            if (instances || attributes) {
                int items = 0;
                if (put(buf, "{", 1) < 0) goto fail;
                if (instances) {
                    int result = spread(buf, drawn * INSTANCE_SPREAD, instances, instance_keys, &items);
                    if (result) {
                        Py_DECREF(members);
                        return result;
                    }
                }
                if (attributes) {
                    unsigned __int128 product = (unsigned __int128)drawn * ATTRIBUTE_SPREAD;
                    int result = spread(buf, (uint64_t)(product >> 5), attributes, attribute_keys, &items);
                    if (result) {
                        Py_DECREF(members);
                        return result;
                    }
                }
                if (put(buf, "}", 1) < 0) goto fail;
            } else if (put(buf, "{}", 2) < 0) {
                goto fail;
            }
            if (put_bytes(buf, PyTuple_GET_ITEM(pieces, 5)) < 0 || put_int(buf, instances) < 0 ||
                put_bytes(buf, PyTuple_GET_ITEM(pieces, 6)) < 0 || put_int(buf, attributes) < 0 ||
                put_bytes(buf, PyTuple_GET_ITEM(pieces, 7)) < 0 || put_int(buf, instance_sum) < 0 ||
                put_bytes(buf, PyTuple_GET_ITEM(pieces, 8)) < 0 || put_int(buf, attribute_sum) < 0 ||
                put_bytes(buf, PyTuple_GET_ITEM(pieces, 9)) < 0)
                goto fail;
            PyObject *record = PyBytes_FromStringAndSize(buf->data, buf->len);
            if (!record) goto fail;
            int appended = PyList_Append(run->out, record);
            Py_DECREF(record);
            if (appended < 0) goto fail;
        }
        Py_DECREF(members);
        position = end;
        continue;
    fail:
        Py_DECREF(members);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(generated_doc,
             "generated(writer, context, start, stop) -> list[bytes] | None\n\n"
             "The generated records [start, stop) of `writer` (a RecordWriter), written as\n"
             "RecordWriter._generated writes them; None when a run cannot be written exactly.");

static PyObject *generated(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 4 || !PyTuple_Check(args[1]) || PyTuple_GET_SIZE(args[1]) != C_FIELDS) {
        PyErr_SetString(PyExc_TypeError, "generated(writer, context, start, stop)");
        return NULL;
    }
    int64_t start = as_i64(args[2]), stop = as_i64(args[3]);
    if (PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return NULL;
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    /* Positions and ids far below 2**62: their sums cannot overflow. */
    const int64_t bound = (int64_t)1 << 62;
    if (start < 0 || stop > bound) Py_RETURN_NONE;
    Run run;
    memset(&run, 0, sizeof(run));
    run.ctx = args[1];
    run.writer = args[0];
    run.out = PyList_New(0);
    if (!run.out) return NULL;
    int result = write_run(&run, start, stop);
    run_clear(&run);
    if (result < 0 && PyErr_ExceptionMatches(PyExc_OverflowError)) {
        PyErr_Clear();
        result = 1;
    }
    if (result != 0) {
        Py_DECREF(run.out);
        if (result < 0) return NULL;
        Py_RETURN_NONE;
    }
    return run.out;
}

PyDoc_STRVAR(utc_time_doc,
             "utc_time(epoch_seconds) -> bytes\n\n"
             "`format_time(t, UTC)` as the loop writes it, for tests (years 1900 to 9999).");

static PyObject *utc_time(PyObject *module, PyObject *value) {
    (void)module;
    int64_t t = as_i64(value);
    if (t == -1 && PyErr_Occurred()) return NULL;
    if (t < UTC_LOW || t >= UTC_HIGH) {
        PyErr_SetString(PyExc_ValueError, "utc_time: outside the years 1900 to 9999");
        return NULL;
    }
    char text[19];
    format_utc(t, text);
    return PyBytes_FromStringAndSize(text, 19);
}

/* The journal's entry (D47, D85): `recording.ring_entry`, the same tuple, for the ring's
 * append on every request the mock answers. In Python, flattening the header pairs alone took
 * some 0.5 us and the entry 1.2 us in all, most of the journal's cost on a repeated page. */

static PyObject *str_entries, *str_size, *str_popleft, *str_numbers, *str_client, *str_method, *str_query_string, *str_headers, *nul_separator;

/* b"\0".join of every item of every pair, as `journal.packed`; NULL with an exception. */
static PyObject *packed_headers(PyObject *headers) {
    PyObject *pairs = PySequence_Fast(headers, "headers must be iterable");
    if (!pairs) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(pairs), items = 0, size = 0;
    PyObject **pair_items = PySequence_Fast_ITEMS(pairs);
    int plain = 1;
    for (Py_ssize_t i = 0; i < count && plain; i++) {
        PyObject *pair = pair_items[i];
        if (!PyTuple_CheckExact(pair)) {
            plain = 0;
            break;
        }
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(pair); j++) {
            PyObject *item = PyTuple_GET_ITEM(pair, j);
            if (!PyBytes_CheckExact(item)) {
                plain = 0;
                break;
            }
            size += PyBytes_GET_SIZE(item);
            items++;
        }
    }
    if (!plain) {
        /* Lists as pairs, bytes-like items: as Python flattens and joins them. */
        PyObject *flat = PyList_New(0);
        if (!flat) goto fail;
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *pair = PySequence_Fast(pair_items[i], "a header must be a pair");
            if (!pair) {
                Py_DECREF(flat);
                goto fail;
            }
            for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(pair); j++) {
                if (PyList_Append(flat, PySequence_Fast_GET_ITEM(pair, j)) < 0) {
                    Py_DECREF(pair);
                    Py_DECREF(flat);
                    goto fail;
                }
            }
            Py_DECREF(pair);
        }
        PyObject *joined = _PyBytes_Join(nul_separator, flat);
        Py_DECREF(flat);
        Py_DECREF(pairs);
        return joined;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, items ? size + items - 1 : 0);
    if (!out) goto fail;
    char *at = PyBytes_AS_STRING(out);
    Py_ssize_t written = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *pair = pair_items[i];
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(pair); j++) {
            PyObject *item = PyTuple_GET_ITEM(pair, j);
            if (written++) *at++ = '\0';
            memcpy(at, PyBytes_AS_STRING(item), (size_t)PyBytes_GET_SIZE(item));
            at += PyBytes_GET_SIZE(item);
        }
    }
    Py_DECREF(pairs);
    return out;
fail:
    Py_DECREF(pairs);
    return NULL;
}

PyDoc_STRVAR(packed_doc, "packed(headers) -> bytes\n\n`journal.packed`, compiled.");

static PyObject *packed(PyObject *module, PyObject *headers) {
    (void)module;
    return packed_headers(headers);
}

PyDoc_STRVAR(ring_entry_doc,
             "ring_entry(ring, scope, path, at, now, note) -> tuple\n\n"
             "`recording.ring_entry`, compiled: the same tuple.");

static PyObject *ring_entry(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "ring_entry takes 6 arguments");
        return NULL;
    }
    PyObject *ring = args[0], *scope = args[1], *path = args[2], *note = args[5];
    if (!PyDict_Check(scope) || !PyList_CheckExact(note) || PyList_GET_SIZE(note) < 4) {
        PyErr_SetString(PyExc_TypeError, "ring_entry: a dict scope and a note of four");
        return NULL;
    }
    double at = PyFloat_AsDouble(args[3]);
    if (at == -1.0 && PyErr_Occurred()) return NULL;
    double now = PyFloat_AsDouble(args[4]);
    if (now == -1.0 && PyErr_Occurred()) return NULL;
    PyObject *method = PyDict_GetItemWithError(scope, str_method);
    PyObject *query = method ? PyDict_GetItemWithError(scope, str_query_string) : NULL;
    PyObject *headers = query ? PyDict_GetItemWithError(scope, str_headers) : NULL;
    if (!headers) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyError, "method, query_string, headers");
        return NULL;
    }
    PyObject *client = PyDict_GetItemWithError(scope, str_client);
    if (!client && PyErr_Occurred()) return NULL;
    /* A full ring drops its oldest entry first: this entry's objects then take the memory it
     * freed, not the next request's (journal.py, RingJournal). */
    PyObject *entries = PyObject_GetAttr(ring, str_entries);
    if (!entries) return NULL;
    PyObject *size = PyObject_GetAttr(ring, str_size);
    Py_ssize_t kept = PyObject_Length(entries);
    Py_ssize_t bound = size ? PyLong_AsSsize_t(size) : -1;
    Py_XDECREF(size);
    if (kept < 0 || (bound == -1 && PyErr_Occurred())) {
        Py_DECREF(entries);
        return NULL;
    }
    if (kept >= bound) {
        PyObject *oldest = PyObject_CallMethodNoArgs(entries, str_popleft);
        if (!oldest) {
            Py_DECREF(entries);
            return NULL;
        }
        Py_DECREF(oldest);
    }
    Py_DECREF(entries);
    PyObject *numbers = PyObject_GetAttr(ring, str_numbers);
    if (!numbers) return NULL;
    PyObject *seq = PyIter_Next(numbers);
    Py_DECREF(numbers);
    if (!seq) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_StopIteration, "ring numbers ended");
        return NULL;
    }
    PyObject *flat = packed_headers(headers);
    if (!flat) {
        Py_DECREF(seq);
        return NULL;
    }
    PyObject *status_item = PyList_GET_ITEM(note, 0), *code_item = PyList_GET_ITEM(note, 1);
    PyObject *count = PyList_GET_ITEM(note, 2), *scenario = PyList_GET_ITEM(note, 3);
    PyObject *status, *code;
    if (count != Py_None) {
        status = PyLong_FromLong(200);
        code = PyLong_FromLong(2000);
    } else {
        int truth = PyObject_IsTrue(status_item);
        if (truth < 0) {
            Py_DECREF(seq);
            Py_DECREF(flat);
            return NULL;
        }
        status = truth ? Py_NewRef(status_item) : PyLong_FromLong(500);
        code = Py_NewRef(code_item);
    }
    PyObject *start = PyFloat_FromDouble(at), *elapsed = PyFloat_FromDouble((now - at) * 1000);
    PyObject *entry = PyTuple_New(13);
    if (!status || !code || !start || !elapsed || !entry) {
        Py_XDECREF(status);
        Py_XDECREF(code);
        Py_XDECREF(start);
        Py_XDECREF(elapsed);
        Py_XDECREF(entry);
        Py_DECREF(seq);
        Py_DECREF(flat);
        return NULL;
    }
    PyTuple_SET_ITEM(entry, 0, seq);
    PyTuple_SET_ITEM(entry, 1, start);
    PyTuple_SET_ITEM(entry, 2, elapsed);
    PyTuple_SET_ITEM(entry, 3, Py_NewRef(client ? client : Py_None));
    PyTuple_SET_ITEM(entry, 4, Py_NewRef(method));
    PyTuple_SET_ITEM(entry, 5, Py_NewRef(path));
    PyTuple_SET_ITEM(entry, 6, Py_NewRef(query));
    PyTuple_SET_ITEM(entry, 7, flat);
    PyTuple_SET_ITEM(entry, 8, status);
    PyTuple_SET_ITEM(entry, 9, code);
    PyTuple_SET_ITEM(entry, 10, Py_NewRef(count));
    PyTuple_SET_ITEM(entry, 11, Py_NewRef(scenario));
    PyTuple_SET_ITEM(entry, 12, Py_NewRef(Py_None));
    return entry;
}

static PyMethodDef methods[] = {
    {"generated", (PyCFunction)(void (*)(void))generated, METH_FASTCALL, generated_doc},
    {"utc_time", utc_time, METH_O, utc_time_doc},
    {"packed", packed, METH_O, packed_doc},
    {"ring_entry", (PyCFunction)(void (*)(void))ring_entry, METH_FASTCALL, ring_entry_doc},
    {NULL, NULL, 0, NULL},
};

static int exec_module(PyObject *module) {
    /* The names looked up on every call, interned once. */
    static const struct {
        PyObject **name;
        const char *text;
    } names[] = {
        {&str_round, "_round"},     {&str_pieces, "_pieces"},
        {&str_codes, "codes"},      {&str_quarter, "quarter"},
        {&str_text, "text"},        {&str_numbers, "numbers"},
        {&str_entries, "entries"},  {&str_size, "size"},
        {&str_popleft, "popleft"},  {&str_client, "client"},
        {&str_method, "method"},    {&str_query_string, "query_string"},
        {&str_headers, "headers"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(*names[i].name = PyUnicode_InternFromString(names[i].text))) return -1;
    }
    if (!(nul_separator = PyBytes_FromStringAndSize("\0", 1))) return -1;
    /* The sha256 of the source this was built from (setup.py): record_json.py refuses a build
     * older than its source, which would write what an older source wrote. */
    return PyModule_AddStringConstant(module, "SOURCE_SHA256", RECORDLOOP_SOURCE);
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef definition = {
    PyModuleDef_HEAD_INIT, "mockserver._recordloop",
    "The record writer's loop, compiled (see mockserver/record_json.py).", 0, methods, slots,
};

PyMODINIT_FUNC PyInit__recordloop(void) { return PyModuleDef_Init(&definition); }
