/* opendata._localtime: UTC timestamps, as SQLite stores them, rendered in local time.
 *
 * The open datasets publish every datetime as ISO 8601 local time with its offset
 * ("2026-03-01T14:05:00+06:00"); SQLite hands them over as UTC text
 * ("2026-03-01 08:05:00.123456"). Doing that in Python costs about 0.3 µs a value — a
 * fifth of a GeoJSON download of the appeals, which carry six datetimes a row. Here it
 * is a few dozen nanoseconds. opendata.exports falls back to its pure-Python conversion
 * when this module is not built, and the tests check that both give the same text.
 *
 * FixedOffset(offset_minutes, suffix, since, until) is a callable that renders any value
 * in [since, until) (UTC text compared as strings: the span in which the zone keeps this
 * one offset) and raises ValueError for anything else — a value outside the span, or
 * text in another form — so that the caller can use the general conversion instead.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int offset;          /* minutes east of UTC, |offset| < 24 h */
    char suffix[7];      /* "+06:00" */
    char since[20];      /* "YYYY-MM-DD HH:MM:SS", inclusive */
    char until[20];      /* exclusive */
} FixedOffset;

static int
days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/* 1 if text[0..n) is all digits. */
static int
all_digits(const char *text, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (text[i] < '0' || text[i] > '9')
            return 0;
    return 1;
}

/* Reads the 2..4 digit number at text[0..n); -1 if any character is not a digit. */
static int
number(const char *text, int n)
{
    int value = 0;
    for (int i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

static void
digits(char *out, int value, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
}

static PyObject *
not_mine(PyObject *value)
{
    PyErr_Format(PyExc_ValueError, "not a UTC timestamp in this offset's span: %R", value);
    return NULL;
}

static PyObject *
render(FixedOffset *self, PyObject *value)
{
    if (!PyUnicode_Check(value) || !PyUnicode_IS_ASCII(value))
        return not_mine(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    const char *text = (const char *)PyUnicode_1BYTE_DATA(value);
    /* "YYYY-MM-DD HH:MM:SS", optionally followed by ".ffffff" (dropped: seconds are the
     * finest unit published). Only SQLite's space separator, so that the span check can
     * compare the text as it is. */
    if (length < 19 || (length > 19 && (text[19] != '.' || length == 20
                                        || !all_digits(text + 20, length - 20)))
        || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':'
        || text[16] != ':')
        return not_mine(value);
    if (memcmp(text, self->since, 19) < 0 || memcmp(text, self->until, 19) >= 0)
        return not_mine(value);
    int year = number(text, 4), month = number(text + 5, 2), day = number(text + 8, 2);
    int hour = number(text + 11, 2), minute = number(text + 14, 2);
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)
        || hour < 0 || hour > 23 || minute < 0 || minute > 59 || number(text + 17, 2) < 0
        || number(text + 17, 2) > 59)
        return not_mine(value);

    int minutes = hour * 60 + minute + self->offset;
    if (minutes >= 24 * 60) {
        minutes -= 24 * 60;
        if (++day > days_in_month(year, month)) {
            day = 1;
            if (++month > 12) {
                month = 1;
                year++;
            }
        }
    }
    else if (minutes < 0) {
        minutes += 24 * 60;
        if (--day < 1) {
            if (--month < 1) {
                month = 12;
                year--;
            }
            day = days_in_month(year, month);
        }
    }
    if (year < 1 || year > 9999)
        return not_mine(value);

    PyObject *result = PyUnicode_New(25, 127);
    if (result == NULL)
        return NULL;
    char *out = (char *)PyUnicode_1BYTE_DATA(result);
    digits(out, year, 4);
    out[4] = '-';
    digits(out + 5, month, 2);
    out[7] = '-';
    digits(out + 8, day, 2);
    out[10] = 'T';
    digits(out + 11, minutes / 60, 2);
    out[13] = ':';
    digits(out + 14, minutes % 60, 2);
    out[16] = ':';
    out[17] = text[17];
    out[18] = text[18];
    memcpy(out + 19, self->suffix, 6);
    return result;
}

static PyObject *
FixedOffset_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                       PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "FixedOffset takes exactly one argument");
        return NULL;
    }
    return render((FixedOffset *)callable, args[0]);
}

static int
copy_ascii(char *out, size_t size, PyObject *text, const char *what)
{
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text)
        || (size_t)PyUnicode_GET_LENGTH(text) != size - 1) {
        PyErr_Format(PyExc_ValueError, "%s must be %zu ASCII characters", what, size - 1);
        return -1;
    }
    memcpy(out, PyUnicode_1BYTE_DATA(text), size);
    return 0;
}

static PyObject *
FixedOffset_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"offset_minutes", "suffix", "since", "until", NULL};
    int offset;
    PyObject *suffix, *since, *until;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iUUU:FixedOffset", keywords, &offset,
                                     &suffix, &since, &until))
        return NULL;
    if (offset <= -24 * 60 || offset >= 24 * 60) {
        PyErr_SetString(PyExc_ValueError, "offset_minutes must lie within a day");
        return NULL;
    }
    FixedOffset *self = (FixedOffset *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = FixedOffset_vectorcall;
    self->offset = offset;
    if (copy_ascii(self->suffix, sizeof self->suffix, suffix, "suffix") < 0
        || copy_ascii(self->since, sizeof self->since, since, "since") < 0
        || copy_ascii(self->until, sizeof self->until, until, "until") < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyTypeObject FixedOffsetType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "opendata._localtime.FixedOffset",
    .tp_doc = PyDoc_STR("FixedOffset(offset_minutes, suffix, since, until)(utc_text) -> str\n\n"
                        "Renders SQLite's UTC text in [since, until) as ISO 8601 local time."),
    .tp_basicsize = sizeof(FixedOffset),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = FixedOffset_new,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(FixedOffset, vectorcall),
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "opendata._localtime",
    .m_doc = "UTC timestamps as SQLite stores them, rendered as ISO 8601 local time.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__localtime(void)
{
    if (PyType_Ready(&FixedOffsetType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "FixedOffset", (PyObject *)&FixedOffsetType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
