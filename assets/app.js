// Confab page behaviour (kept small; no inline scripts).
