@echo off
rem The school's page in the browser: rollcall-school serve, with the school's data in
rem school.db beside this file (the page's first form sets the school up when it is not
rem there yet). Arguments given to this file go to serve. Closing the window stops it.
"%~dp0rollcall-school.exe" serve --db "%~dp0school.db" %*
if errorlevel 1 pause
