"""Visit requests from communes, their status machine and its history."""
