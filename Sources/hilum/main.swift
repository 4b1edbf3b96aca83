print("hilum")
