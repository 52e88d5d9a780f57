/* PLACEHOLDER main: replaced during the session. */
#include <stdio.h>
int main(void) { puts("tunebench " TB_VERSION); return 0; }
