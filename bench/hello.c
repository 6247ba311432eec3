/* bench hello: the start-up of a static hello world. */
#include <stdio.h>

int main(void)
{
	puts("hello, world");
	return 0;
}
