"""What Tender publishes: OCDS releases and notices."""
