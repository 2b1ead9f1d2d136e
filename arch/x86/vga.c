// SPDX-License-Identifier: MIT
/* The VGA text screen, 80x25, written where the kernel maps physical memory. */
#include "arch/x86/pc.h"
#include "mm/platform.h"

#define VGA_PHYS	0xb8000
#define COLS		80
#define ROWS		25
#define ATTR		0x07	/* light grey on black */

static volatile uint16_t *screen;
static unsigned row, col;

static void move_cursor(void)
{
	unsigned pos = row * COLS + col;

	outb(0x3d4, 0x0f);
	outb(0x3d5, pos & 0xff);
	outb(0x3d4, 0x0e);
	outb(0x3d5, pos >> 8);
}

static void scroll(void)
{
	for (unsigned i = 0; i < (ROWS - 1) * COLS; i++)
		screen[i] = screen[i + COLS];
	for (unsigned i = (ROWS - 1) * COLS; i < ROWS * COLS; i++)
		screen[i] = ATTR << 8 | ' ';
	row = ROWS - 1;
}

void vga_init(void)
{
	screen = plat_phys_to_virt(VGA_PHYS);
	for (unsigned i = 0; i < ROWS * COLS; i++)
		screen[i] = ATTR << 8 | ' ';
	row = col = 0;
	move_cursor();
}

void vga_putc(char c)
{
	if (!screen)
		return;
	switch (c) {
	case '\n':
		col = 0;
		row++;
		break;
	case '\r':
		col = 0;
		break;
	case '\b':
		if (col)
			col--;
		screen[row * COLS + col] = ATTR << 8 | ' ';
		break;
	default:
		screen[row * COLS + col] = ATTR << 8 | (uint8_t)c;
		if (++col == COLS) {
			col = 0;
			row++;
		}
	}
	if (row == ROWS)
		scroll();
	move_cursor();
}
