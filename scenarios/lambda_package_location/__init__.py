"""Location of a .zip deployment package in the Lambda execution environment, and the paths a handler may write."""
