"""Road travel in the web application: the router the settings name, legs cached per graph."""
