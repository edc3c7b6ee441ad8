/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_rekey.c: `pivault rekey [--data]` (being written). */
#include "cli.h"

int cmd_rekey(int argc, char **argv)
{
	(void)argc, (void)argv;
	return cli_usage("rekey", "not built yet");
}
