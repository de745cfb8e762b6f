// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Included as is: Swift imports it directly.
#include <cblas.h>
