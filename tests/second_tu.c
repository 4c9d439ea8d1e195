/* A second translation unit that only includes the header: catches missing
   static, ODR and include-guard mistakes when linked with the first. */
#include "../multiperform.h"

const char *second_tu_version(void);
const char *second_tu_version(void)
{
    return mperf_version();
}
