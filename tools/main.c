/* calib8 command-line tool: placeholder entry, replaced as subcommands land. */
#include "calib8/config.h"

#include <stdio.h>

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("calib8 %s\n", C8_VERSION_STRING);
    return 0;
}
