"""Credit monitoring and early warning (信用监测预警): rules as data, a warning list and a feed to poll."""
