#include <stdio.h>

int main(void) {
  puts("hello from a static C program");
  return 0;
}
