/* city-node - the first-level (city) linkage node.  See shared/node.h. */
#include "node.h"

int
main(int argc, char **argv)
{
	return node_main(argc, argv, LD_LEVEL_CITY);
}
