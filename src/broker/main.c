/* main.c - placeholder entry point, replaced by the CLI. */
#include <stdio.h>
int main(void)
{
	puts("rpvault " RPVAULT_VERSION);
	return 0;
}
