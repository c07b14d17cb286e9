"""Customer list, customer form, visits and history."""
