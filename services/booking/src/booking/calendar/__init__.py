"""The therapist's calendar: free slots (BK-13, BK-14), week views and the iCalendar feed (BK-20)."""
