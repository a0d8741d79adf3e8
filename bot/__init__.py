"""cadrebot: builds the Application, the command line and the offline terminal chat."""
