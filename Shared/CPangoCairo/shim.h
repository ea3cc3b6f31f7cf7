// pango (text layout and shaping) drawing through cairo (PDF surfaces), for the report renderer.
#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
