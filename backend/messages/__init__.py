"""Messages to customers (booked, rescheduled, running late, signing link): templates as data, sent by a job."""
