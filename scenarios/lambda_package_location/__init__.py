"""Where Lambda puts a .zip deployment package, and what the handler may read and write there."""
