#include <stdio.h>
#include "hilum_io.h"

int hilum_stdout_finish(void) {
    int flushed = fflush(stdout);
    return (flushed != 0 || ferror(stdout)) ? -1 : 0;
}
