SELEC 1; SELECT (1 + ; SELECT 'open
/* unterminated
